"""``python -m benchmarks [--quick]``: run every benchmark and print its table."""

import argparse

from . import mixture


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes (about a minute)")
    args = parser.parse_args(argv)
    mixture.main(quick=args.quick)


if __name__ == "__main__":
    main()
