"""Plays the downstream consumer: queues behind Reelay's bus and topic, and a webhook receiver.

What a team subscribing to Reelay would see: the EventBridge event and the SNS message read off
their queues (`queues`, `consumer_events`), and signed webhook deliveries checked as a consumer
would check them (`webhook_receiver`).
"""
