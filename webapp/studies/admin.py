from django.contrib import admin

from webapp.studies.models import Patient, Study

admin.site.register(Patient)
admin.site.register(Study)
