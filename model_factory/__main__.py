from model_factory.cli import main

main()
