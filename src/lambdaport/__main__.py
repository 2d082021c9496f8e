from lambdaport.cli.main import main

main()
