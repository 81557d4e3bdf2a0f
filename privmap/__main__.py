from privmap.cli import main

main()
