"""nats-py session: subscribe, publish (plain and with headers), request/reply,
a publish the permissions refuse, flush (PING), unsubscribe, drain."""
import asyncio, sys
import nats

async def main(port, verbose):
    nc = await nats.connect(f"nats://alice:secret@127.0.0.1:{port}", name="sonde-nats", verbose=verbose)
    got = []
    async def on_order(msg):
        got.append(msg.subject)
    sub = await nc.subscribe("orders.>", cb=on_order)
    async def echo(msg):
        await msg.respond(b"pong:" + msg.data)
    await nc.subscribe("svc.echo", queue="workers", cb=echo)
    await nc.publish("orders.new", b'{"id": 1}')
    await nc.publish("orders.new", b'{"id": 2}', headers={
        "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "Nats-Msg-Id": "order-2"})
    await nc.flush()
    reply = await nc.request("svc.echo", b"ping", timeout=2)
    await nc.publish("secret.plans", b"nope")
    await nc.flush()
    await asyncio.sleep(0.3)
    await sub.unsubscribe()
    await nc.flush()
    await nc.drain()
    print("got", got, reply.data)

asyncio.run(main(int(sys.argv[1]), sys.argv[2] == "verbose"))
