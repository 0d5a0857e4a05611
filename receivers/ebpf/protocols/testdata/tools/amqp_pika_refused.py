import sys
import pika
port = int(sys.argv[1]); what = sys.argv[2]
if what == "password":
    params = pika.ConnectionParameters("127.0.0.1", port, credentials=pika.PlainCredentials("guest", "wrong"), connection_attempts=1)
else:
    params = pika.ConnectionParameters("127.0.0.1", port, virtual_host="nowhere", credentials=pika.PlainCredentials("guest", "guest"), connection_attempts=1)
try:
    pika.BlockingConnection(params)
except Exception as e:
    print("refused:", type(e).__name__, e)
