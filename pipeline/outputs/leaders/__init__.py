"""What leaders and the public receive: the reading pack (汇总报告, 明细表), the 情况通报 and the 公示."""
