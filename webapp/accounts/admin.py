from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from webapp.accounts.models import User
from webapp.audit.admin_mixins import AuditedModelAdmin


@admin.register(User)
class PolypscopeUserAdmin(AuditedModelAdmin, UserAdmin):
    fieldsets = UserAdmin.fieldsets + (("Polypscope", {"fields": ("role",)}),)
    list_display = ("username", "role", "is_active", "is_superuser")
