"""Plays AWS: moto in server mode, template.yaml deployed into it, API Gateway, event sources, Lambda.

The template is translated and deployed as `sam deploy` would (`template`, `deploy`), the
gateway turns HTTP requests into REST proxy events (`gateway`, `api_events`), pollers feed the
SQS queues, the DynamoDB stream and the schedule to their functions (`event_sources`), and the
real handlers run in this process (`lambda_runtime`, `function_logs`), wired by `stack` and
started as one piece by `embedded`.
"""
