"""Telling people: e-mail over SMTP (:mod:`.mail`), and more channels to come.

A message is composed once as a :class:`~sync.collector.notify.mail.Mail`
(subject, plain text, optional HTML) and handed to a channel; channels never
compose text themselves, so every channel says the same thing.
"""
