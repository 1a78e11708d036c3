"""`python -m data.demo`: build the synthetic demo database (see `data.demo.build.main`)."""

from data.demo.build import main

raise SystemExit(main())
