"""Privacy: what PartnerUp keeps about a person, their download of it, hiding from the directory, erasure,
and deleting everything personal once an event is long over.

It sits above partnering and announcements because it must know every capability's rows to export or erase
them; erasure closes open requests and meetings through partnering's own steps, so the other person is told
exactly as if the leaver had pressed Withdraw, Decline or Cancel.
"""
