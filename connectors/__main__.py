from connectors.cli import main
from connectors.process import collect_nothing_at_exit

collect_nothing_at_exit()  # the heap goes back to the system whole; see connectors/process.py
main()
