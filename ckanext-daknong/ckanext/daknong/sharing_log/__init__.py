"""The sharing log of NĐ 47 Art. 45 (QĐ 43 Art. 7.4), as the ``daknong_sharing_log`` plugin."""
