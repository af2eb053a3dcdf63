"""Check or rebuild the statistics cells (ContractRollup) against the contracts."""

from django.core.management.base import BaseCommand, CommandError

from xiake.contracts import rollup


class Command(BaseCommand):
    help = "Compare the contract statistics cells with a recomputation (--check) or rebuild them."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="replace every cell")

    def handle(self, *args, **opts):
        if opts["rebuild"]:
            n = rollup.rebuild()
            self.stdout.write(f"{n} cells rebuilt")
            return
        stored, fresh = rollup.stored(), rollup.recompute()
        wrong = sorted(k for k in stored.keys() | fresh.keys() if stored.get(k) != fresh.get(k))
        if wrong:
            raise CommandError(
                f"{len(wrong)} cells differ from the contracts, e.g. {wrong[:3]}; "
                "run `xiake contract_rollup --rebuild`"
            )
        self.stdout.write(f"{len(stored)} cells match the contracts")
