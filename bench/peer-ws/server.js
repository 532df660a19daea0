// The peer of `zhibo bench fanout`: a broadcast server written with the npm
// `ws` package, the way such servers are usually written. Connections to
// /producer send; every text message a producer sends is broadcast as is to
// every connection on /viewer. It listens on 127.0.0.1 (PORT, 0 = any free
// port) and prints "listening <port>" once ready; the bench kills it.
'use strict';
const http = require('http');
const { WebSocketServer } = require('ws');

const server = http.createServer((req, res) => {
  res.writeHead(404);
  res.end();
});
const wss = new WebSocketServer({ server });
const viewers = new Set();

wss.on('connection', (socket, req) => {
  if (req.url === '/producer') {
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      for (const viewer of viewers) {
        if (viewer.readyState === 1) viewer.send(data, { binary: false });
      }
    });
  } else {
    viewers.add(socket);
    socket.on('close', () => viewers.delete(socket));
  }
  socket.on('error', () => {});
});

server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
