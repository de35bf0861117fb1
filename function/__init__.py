"""The listing Lambda behind ``GET /objects`` (handler: ``function.app.handler``); see README.md."""
