from lessonl.cli import main

raise SystemExit(main())
