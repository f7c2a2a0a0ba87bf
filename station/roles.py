"""What an agent may do: every agent files cases; a supervisor also manages agents."""

AGENT = "agent"
SUPERVISOR = "supervisor"
