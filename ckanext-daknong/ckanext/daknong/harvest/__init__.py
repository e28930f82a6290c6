"""Quarterly harvesting of every agency's catalogue (QĐ 43 Art. 20.3, 21.3).

A separately enabled plugin (``daknong_harvest``) of the same distribution: three harvesters
for ckanext-harvest (CKAN Action API, DCAT, spreadsheets), a content-hash record per remote
record, the quarterly scheduler with its per-agency status, and the agency self-check.
"""
