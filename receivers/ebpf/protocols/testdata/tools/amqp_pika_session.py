"""pika session against RabbitMQ: declare, publish (default exchange and a
topic exchange, with properties and a traceparent header), get and
get-empty, consume with manual acks, cancel, a passive declare of a missing
queue (channel.close 404), a 140 KB message (several body frames), a
confirm-mode publish, close."""
import sys
import pika

port = int(sys.argv[1])
params = pika.ConnectionParameters("127.0.0.1", port, credentials=pika.PlainCredentials("guest", "guest"), heartbeat=0)
conn = pika.BlockingConnection(params)
ch = conn.channel()
ch.queue_declare("orders")
ch.exchange_declare("events", exchange_type="topic", auto_delete=True)
ch.queue_bind("orders", "events", routing_key="order.*")
props = pika.BasicProperties(message_id="m-1", correlation_id="c-1", content_type="application/json",
    headers={"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "n": 7})
ch.basic_publish("", "orders", b'{"id": 1}', props)
ch.basic_publish("events", "order.created", b'{"id": 2}')
m = ch.basic_get("orders", auto_ack=True)
m = ch.basic_get("orders", auto_ack=False)
ch.basic_ack(m[0].delivery_tag)
print("empty", ch.basic_get("orders"))
got = []
def on_msg(c, method, properties, body):
    got.append(body)
    c.basic_ack(method.delivery_tag)
    if len(got) == 2:
        c.stop_consuming()
tag = ch.basic_consume("orders", on_msg)
ch.basic_publish("", "orders", b"three")
ch.basic_publish("", "orders", b"four")
ch.start_consuming()
ch.basic_cancel(tag)
try:
    ch.queue_declare("missing", passive=True)
except pika.exceptions.ChannelClosedByBroker as e:
    print("closed", e)
ch2 = conn.channel()
ch2.confirm_delivery()
ch2.basic_publish("", "orders", b"x" * 140000)
ch2.queue_purge("orders")
ch2.queue_delete("orders")
conn.close()
print("got", got)
