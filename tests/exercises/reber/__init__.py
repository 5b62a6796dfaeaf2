"""Tests of the exercise `reber`."""
