print("hello from eng-rebuild")
