from xiake.cli import main

main()
