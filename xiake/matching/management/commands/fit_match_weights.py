"""xiake fit_match_weights --user NAME [--dry-run] [--folds K] [--l2 L] [--min-per-class N] [--json]:
learn the weights of recommend's signals from the labels (marks on matches, docking outcomes)."""

import json

from django.core.management.base import BaseCommand, CommandError

from xiake.matching import weights


class Command(BaseCommand):
    help = (
        "Fit the weights of the recommendation signals (text score, same industry, TRL, …) from "
        "every label — users' 有用/无关 marks and docking outcomes — by L2-regularised logistic "
        "regression; report the k-fold cross-validated AUC beside the hand-set weights' on the "
        "same folds, and store the weights as the newest version (bureau accounts only)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="the bureau account that fits")
        parser.add_argument("--dry-run", action="store_true", help="print the fit, store nothing")
        parser.add_argument("--folds", type=int, default=5)
        parser.add_argument("--l2", type=float, default=1.0, help="L2 penalty (default 1)")
        parser.add_argument(
            "--min-per-class",
            type=int,
            default=weights.MIN_PER_CLASS,
            help="labels needed of each class, useful and not relevant (default 10)",
        )
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **opts):
        from xiake.accounts.models import User
        from xiake.core.roles import is_bureau

        try:
            user = User.objects.get(username=opts["user"])
        except User.DoesNotExist:
            raise CommandError(f"no user {opts['user']}") from None
        if not is_bureau(user):
            raise CommandError(f"{user} is not a bureau account; only the bureau fits weights")
        if opts["folds"] < 2:
            raise CommandError("--folds must be at least 2")
        if opts["l2"] < 0:
            raise CommandError("--l2 must not be negative")
        try:
            result = weights.fit(
                user, folds=opts["folds"], l2=opts["l2"], min_per_class=opts["min_per_class"]
            )
        except weights.TooFewLabels as exc:
            raise CommandError(str(exc)) from None
        row = None if opts["dry_run"] else weights.store(result, user)
        if opts["json"]:
            self.stdout.write(json.dumps({**result.as_dict(), "version": row.pk if row else None}))
            return
        self.stdout.write(
            f"{result.labels} labels ({result.positives} useful, {result.negatives} not relevant"
            f"{f', {result.skipped} skipped: record gone' if result.skipped else ''}), "
            f"{result.folds}-fold CV AUC: fitted {result.cv_auc:.4f}, "
            f"hand-set {result.baseline_auc:.4f}"
        )
        self.stdout.write(f"{'signal':<18}{'fitted':>9}{'hand-set':>10}")
        for name in weights.FEATURES:
            self.stdout.write(
                f"{name:<18}{result.weights[name]:>9.4f}{weights.DEFAULTS[name]:>10.4f}"
            )
        if row is None:
            self.stdout.write("dry run: nothing stored")
        else:
            self.stdout.write(f"stored as version {row.pk}; recommend uses it from now on")
