import rules

from accounts.permissions import in_region_as, is_admin
from accounts.roles import REGION_READERS, Role

rules.add_perm("reviews.view_expertprofile", in_region_as(*REGION_READERS))
rules.add_perm("reviews.add_expertprofile", in_region_as(Role.CITY_OFFICER, Role.ADMIN))
rules.add_perm("reviews.change_expertprofile", in_region_as(Role.CITY_OFFICER, Role.ADMIN))
rules.add_perm("reviews.delete_expertprofile", is_admin)
