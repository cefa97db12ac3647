from django import template

from accounts.identifiers import mask_id_number, mask_name, mask_phone

register = template.Library()
register.filter("mask_name", mask_name)
register.filter("mask_id", mask_id_number)
register.filter("mask_phone", mask_phone)
