"""The engine's thinking: analysis of positions (``analysis``) and the clock's time budget (``timecontrol``)."""
