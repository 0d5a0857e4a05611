import asyncio, sys
import nats
async def main(port):
    nc = await nats.connect(f"nats://alice:secret@127.0.0.1:{port}")
    try:
        await nc.request("svc.nobody", b"hello", timeout=1)
    except Exception as e:
        print("request:", type(e).__name__)
    await nc.close()
asyncio.run(main(int(sys.argv[1])))
