from agent_analytics.cli.app import main

main()
