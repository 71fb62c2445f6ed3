"""Sub-processor change notices (UK GDPR Article 28(2)): a supplier tells us of an intended
addition, replacement or removal; we have an objection window, decide, and the register
follows on the start date."""
