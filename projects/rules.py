"""Permission predicates for people and projects (package `rules`)."""

from __future__ import annotations

import rules


@rules.predicate
def is_agency(user) -> bool:
    return bool(user and user.is_authenticated and user.is_agency)


@rules.predicate
def is_partner_user(user) -> bool:
    return bool(user and user.is_authenticated and user.is_partner)


@rules.predicate
def is_project_partner(user, project) -> bool:
    return bool(
        project is not None and user.is_authenticated and user.is_partner and project.partner_id == user.partner_id
    )


can_view_project = is_agency | is_project_partner

# Names are our own (not Django's add_/change_ model permissions) so the admin's
# permission checks stay with Django's ModelBackend.
rules.add_perm("projects.see_project", can_view_project)
rules.add_perm("projects.manage_records", is_agency)  # clients, projects, deliveries
