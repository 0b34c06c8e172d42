"""The loop: observe, plan, act (and adopt, rotation), each a stage of its own."""
