"""Domain-free infrastructure shared by every app: middleware, rendering helpers."""
