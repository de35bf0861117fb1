# The alarms, composite alarms and log metric filters are rendered by alerts/ into
# catalog.tf.json (do not edit it: `make render` writes it, `make check-generated` fails on drift).
# The catalog references only this module's variables; the topic it notifies is created by
# ../notifications and passed in as var.alarm_topic_arn.
