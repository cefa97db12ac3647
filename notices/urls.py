from django.urls import path

from . import views

app_name = "notices"

urlpatterns = [
    path("", views.InboxView.as_view(), name="inbox"),
    path("read/", views.message_read, name="read"),
    path("read-all/", views.messages_read_all, name="read_all"),
    path("undelivered/", views.MailFailuresView.as_view(), name="mail_failures"),
]
