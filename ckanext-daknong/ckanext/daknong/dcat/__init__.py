"""DCAT-AP publication of the portal (NĐ 47 Art. 17–21): the ``daknong`` RDF profile."""
