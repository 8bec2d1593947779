"""The "Team" group: its members may open the dashboard (they can view spend records)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

TEAM_GROUP = "Team"
PERMISSION = "view_spendrecord"


def create_team_group(apps, schema_editor):
    # Permissions are normally made after all migrations run; make feeds' now to grant one.
    feeds = apps.get_app_config("feeds")
    feeds.models_module = True
    create_permissions(feeds, apps=apps, verbosity=0)
    feeds.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    team, _ = Group.objects.get_or_create(name=TEAM_GROUP)
    team.permissions.add(
        Permission.objects.get(content_type__app_label="feeds", codename=PERMISSION)
    )


def remove_team_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=TEAM_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("feeds", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_team_group, remove_team_group)]
