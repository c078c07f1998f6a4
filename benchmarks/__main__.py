"""``python -m benchmarks [--quick] [--only NAME]``: run the benchmarks and print their tables."""

import argparse

from . import (dask_mixture, factor_analysis, fast_paths, gil, hmm, mclust_models, missing, mixture,
               nongaussian, statespace)
from . import hmm_missing
from . import hmm_emissions

BENCHMARKS = {"mixture": mixture.main, "dask": dask_mixture.main, "hmm": hmm.main,
              "missing": missing.main, "gil": gil.main, "statespace": statespace.main,
              "factor": factor_analysis.main, "fastpaths": fast_paths.main,
              "mclust": mclust_models.main, "nongaussian": nongaussian.main,
              "hmm_missing": hmm_missing.main}
BENCHMARKS["hmm_emissions"] = hmm_emissions.main


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes (about a minute)")
    parser.add_argument("--only", choices=sorted(BENCHMARKS), help="run only this benchmark")
    args = parser.parse_args(argv)
    for name, run in BENCHMARKS.items():
        if args.only in (None, name):
            run(quick=args.quick)
            print()


if __name__ == "__main__":
    main()
