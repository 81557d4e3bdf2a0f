from privmap.cli import main

if __name__ == "__main__":  # spawned worker processes (a Dask LocalCluster's) import this module again
    main()
