"""What happens when a delivery enters a stage, feature by feature.

Called by `delivery.services._apply` inside the transition's transaction, after the
stage is saved and the history row written. A hook is `(*, delivery, user, transition) -> None`;
`user` is None for client or system actions. Adding one is one line here.
"""

from __future__ import annotations

from collections.abc import Callable

from delivery.golive import hooks as golive_hooks
from delivery.recette import hooks as recette_hooks
from projects.vocabulary import Stage

Hook = Callable[..., None]

ON_ENTER: dict[str, tuple[Hook, ...]] = {
    Stage.DELIVERY: (recette_hooks.known_issues_on_delivery,),
    Stage.GO_LIVE: (golive_hooks.on_go_live,),
    Stage.FOLLOW_UP: (),
}
