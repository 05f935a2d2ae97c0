from yourtts_onnx.cli import main

raise SystemExit(main())
