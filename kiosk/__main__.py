from kiosk.cli.main import main

main()
