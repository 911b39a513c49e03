"""A stateful property test: whatever order invitations, acceptance, acting, changes of scope, stops,
pauses and locks of the carer's sign-in come in, a carer can do exactly what the customer allows now,
and nothing once it ends or while their sign-in is locked."""

from __future__ import annotations

import datetime as dt
import secrets

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlmodel import Session, select

from portal.access import SCOPE_PERMISSIONS, Actor, Permission, Scope, can
from portal.advisers import locks
from portal.carers import service
from portal.carers.models import CarerAuthority
from portal.identity.models import Person
from portal.settings import Settings
from tests import factories

TODAY = dt.date(2026, 12, 3)
SCOPE_SETS = st.frozensets(st.sampled_from(list(Scope)), min_size=1)
CUSTOMER_ONLY = (Permission.see_privacy, Permission.manage_carers, Permission.manage_security)


def test_a_carer_can_do_exactly_what_is_allowed_now(db: Session, settings: Settings) -> None:
    customer = factories.customer(db)
    account = factories.account_of(db, customer)
    adviser = factories.adviser(db)
    assert customer.id is not None and adviser.id is not None
    me = Actor(person_id=customer.id, name=customer.name)
    staff = Actor(person_id=adviser.id, name=adviser.name, staff_role="adviser")

    class Carers(RuleBasedStateMachine):
        @initialize(scopes=SCOPE_SETS)
        def invite(self, scopes: frozenset[Scope]) -> None:
            carer = Person(name="Helper", email=f"{secrets.token_hex(6)}@example.org")
            db.add(carer)
            db.commit()
            self.carer = carer
            invitation = service.Invitation("Helper", carer.email, "", service.Terms(scopes, None))
            self.authority, self.code = service.invite(
                db, settings, me, invitation, secrets.token_hex(8), TODAY
            )
            self.allowed: frozenset[Scope] = frozenset()  # Nothing until they accept.
            self.locked = False  # An adviser locked the carer's own sign-in.
            self.pending_scopes = scopes
            self.state = "invited"

        def acting(self) -> Actor:
            assert self.carer.id is not None and self.authority.id is not None
            return Actor(
                person_id=self.carer.id,
                name="Helper",
                acting_for=service.acting_for(db, self.authority.id, self.carer.id, TODAY),
            )

        @rule()
        def accept(self) -> None:
            found = service.invitation_for(db, settings, self.code or "")
            if self.state == "invited":
                assert found is not None and service.accept(db, settings, found, self.carer)
                self.state, self.allowed = "active", self.pending_scopes
            else:
                assert found is None  # A code works once, and never after a stop.

        @rule(scopes=SCOPE_SETS)
        def change(self, scopes: frozenset[Scope]) -> None:
            if self.state == "ended":
                return
            service.change(db, me, self.authority, service.Terms(scopes, None), TODAY)
            self.pending_scopes = scopes
            if self.state == "active":
                self.allowed = scopes

        @rule()
        def carer_tries_to_widen_their_own_access(self) -> None:
            carer = Actor(person_id=self.carer.id or 0, name="Helper")
            assert service.owned(db, carer, self.authority.id or 0) is None

        @rule()
        def stop(self) -> None:
            if self.state != "ended":
                service.stop(db, me, self.authority)
                self.state, self.allowed = "ended", frozenset()

        @rule()
        def pause(self) -> None:
            if self.state == "active":
                service.suspend(db, staff, self.authority, "Worried")
                self.state, self.allowed = "paused", frozenset()

        @rule()
        def lift(self) -> None:
            if self.state == "paused":
                service.lift_suspension(db, staff, self.authority)
                db.refresh(self.authority)
                self.state, self.allowed = "active", self.pending_scopes

        @rule()
        def lock_the_carers_sign_in(self) -> None:
            if self.state in ("active", "paused"):  # Someone who helps a customer now.
                assert locks.lock(db, None, staff, self.carer.id or 0, "Worried", "Europe/London") == (
                    not self.locked)
                self.locked = True

        @rule()
        def unlock_the_carers_sign_in(self) -> None:
            if self.state in ("active", "paused"):
                assert locks.unlock(db, staff, self.carer.id or 0, "Checked") == self.locked
                self.locked = False

        @invariant()
        def can_answers_as_the_customer_chose(self) -> None:
            actor = self.acting()
            db.refresh(self.carer)
            assert self.carer.sign_in_locked == self.locked
            assert (actor.acting_for is not None) == (self.state == "active" and not self.locked)
            for permission in Permission:
                expected = not self.locked and any(permission in SCOPE_PERMISSIONS[s] for s in self.allowed)
                assert can(actor, account, permission) == expected, (permission, self.allowed, self.state)
            for permission in CUSTOMER_ONLY:
                assert not can(actor, account, permission)

    run_state_machine_as_test(Carers, settings=settings_for_machine())
    assert db.exec(select(CarerAuthority).where(CarerAuthority.customer_person_id == customer.id)).first()


def settings_for_machine() -> settings:
    return settings(
        max_examples=25,
        stateful_step_count=12,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
