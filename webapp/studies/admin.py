from django.contrib import admin

from webapp.audit.admin_mixins import AuditedModelAdmin
from webapp.studies.models import Patient, Study

admin.site.register(Patient, AuditedModelAdmin)
admin.site.register(Study, AuditedModelAdmin)
