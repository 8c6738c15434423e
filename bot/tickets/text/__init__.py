"""Every word a platform reads about a ticket, in its language (zh or en): written only here.

`letter` words the letter (summary, first message, follow-up, subject line), `usage` the
usage records' CSV, and `chinese` the dates, checks and figures both put in Chinese. What
people read in Slack and on the timeline is worded in bot.slack.ticket_words and
bot.tickets.words.
"""
