"""The pilot: play a battle from screenshots and taps (issue 14).

screenshot → game area → `Features` (``feature_models.FrameParser``) → agent → taps, with nothing
read from the engine. `screen_mask` says which actions a screen offers; the device clients
(`client`, `folder`, `adb`, `sim_client`) give frames and take taps.
"""
