from kiosk.county.cli import main

main()
