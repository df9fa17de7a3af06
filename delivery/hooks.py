"""What happens when a delivery enters a stage, feature by feature.

Called by `delivery.services._apply` inside the transition's transaction, after the
stage is saved and the history row written. A hook is `(*, delivery, user, transition) -> None`;
`user` is None for client or system actions. Adding one is one line here.
"""

from __future__ import annotations

from collections.abc import Callable

from projects.vocabulary import Stage

Hook = Callable[..., None]

ON_ENTER: dict[str, tuple[Hook, ...]] = {
    Stage.GO_LIVE: (),
    Stage.FOLLOW_UP: (),
}
