from lap_app.cli.main import main

raise SystemExit(main())
