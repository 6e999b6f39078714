// WebRTC local IP discovery: an unconnected peer connection with a data channel; the ICE candidates
// of the local offer list the machine's addresses (Englehardt & Narayanan 2016, section 6.3).
(function () {
  var pc = new RTCPeerConnection({ iceServers: [] });
  var ips = [];
  pc.createDataChannel('');
  pc.onicecandidate = function (e) {
    if (!e.candidate) {
      navigator.sendBeacon('https://fp-vendor.net/collect?kind=webrtc', ips.join(','));
      return;
    }
    var m = /([0-9]{1,3}(\.[0-9]{1,3}){3}|[a-f0-9-]+\.local)/.exec(e.candidate.candidate);
    if (m) ips.push(m[1]);
  };
  pc.createOffer().then(function (offer) { return pc.setLocalDescription(offer); });
})();
