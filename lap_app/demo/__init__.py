"""Demo mode: the whole circuit on one machine, no hardware, no network.

``DemoEnvironment`` starts the reference base in-process on loopback TLS with the demo PKI,
puts the virtual physician's card in a reader (in-process, or over pcscd/vpcd when present),
seeds demo patients and gives the « Prescrit (démo) » window a card for each profession.
"""
